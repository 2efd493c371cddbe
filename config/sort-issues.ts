// Issues in reading order: the main file first, top to bottom, then referenced files; no repeats.
import { formatIssue, type ConfigIssue } from './errors.js';

export function sortIssues(issues: ConfigIssue[], mainFile: string): ConfigIssue[] {
  const seen = new Set<string>();
  const unique = issues.filter((issue) => {
    const key = formatIssue(issue);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort(
    (a, b) =>
      Number(a.file !== mainFile) - Number(b.file !== mainFile) ||
      a.file.localeCompare(b.file) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0),
  );
}
