// Errors meant for a human at a pole at night: one clear message, a stable code, an exit status.
// The CLI prints `message` alone (never a stack) for these; anything else is a bug.

export class PolegateError extends Error {
  constructor(
    message: string,
    /** Stable machine-readable code, e.g. `CONFIG_INVALID`, `PORT_IN_USE`. */
    readonly code: string,
    /** Process exit status: 2 for bad input (config, arguments), 1 for runtime failures. */
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'PolegateError';
  }
}

/** One problem in a config file, located for the reader. */
export interface ConfigIssue {
  file: string;
  /** YAML path such as `devices[2].unitId`; empty for the whole document. */
  path: string;
  line?: number;
  column?: number;
  message: string;
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line !== undefined ? `${issue.file}:${issue.line}:${issue.column ?? 1}` : issue.file;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** A config file that cannot be used; carries every issue found, not just the first. */
export class ConfigError extends PolegateError {
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'), 'CONFIG_INVALID', 2);
    this.name = 'ConfigError';
  }
}
