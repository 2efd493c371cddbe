// A command refused or failed, with the stable code the platform sees in cmd/result.

export class CommandError extends Error {
  constructor(readonly code: CommandErrorCode, message: string) {
    super(message);
  }
}

/** Stable codes of a failed command (`error.code` in cmd/result). */
export type CommandErrorCode =
  | 'BAD_COMMAND' | 'EXPIRED' | 'UNSUPPORTED' | 'UNKNOWN_DEVICE' | 'UNKNOWN_METRIC'
  | 'READ_ONLY' | 'BAD_VALUE' | 'DEVICE_ERROR' | 'CONFIG_REFUSED' | 'CONFIG_ROLLED_BACK';
