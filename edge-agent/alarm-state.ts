// What the rules must not forget across a restart (rules.ts, RuleMemory): active alarms with their
// ids, hold timers, rate holds. In a file of its own beside the outbox (`outbox.db` →
// `outbox-alarms.db`), one row per rule that has something to remember, so that an agent killed
// mid-alarm neither raises that alarm again under a new id nor forgets to clear it.
//
// Writes are rare (a rule's memory changes when its condition starts or stops tripping, and when an
// alarm is raised or cleared) and matter as much as the alarm they go with: synchronous FULL.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { PolegateError } from '../config/errors.js';
import type { RuleChange, RuleMemory } from './rules.js';

/** Where the alarm state lives: beside the outbox, `outbox.db` → `outbox-alarms.db`. */
export function alarmStatePath(outboxPath: string): string {
  return `${outboxPath.replace(/\.db$/, '')}-alarms.db`;
}

export class AlarmState {
  private readonly sql;

  private constructor(private readonly db: Database.Database) {
    db.exec('CREATE TABLE IF NOT EXISTS rule_memory (rule TEXT PRIMARY KEY, definition TEXT NOT NULL, memory TEXT NOT NULL)');
    this.sql = {
      all: db.prepare<[], { rule: string; definition: string; memory: string }>('SELECT rule, definition, memory FROM rule_memory'),
      put: db.prepare<[string, string, string]>('INSERT INTO rule_memory (rule, definition, memory) VALUES (?, ?, ?) ON CONFLICT (rule) DO UPDATE SET definition = excluded.definition, memory = excluded.memory'),
      forget: db.prepare<[string]>('DELETE FROM rule_memory WHERE rule = ?'),
    };
  }

  static open(path: string): AlarmState {
    let db: Database.Database | undefined;
    try {
      mkdirSync(dirname(path), { recursive: true });
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      return new AlarmState(db);
    } catch (err) {
      db?.close();
      throw new PolegateError(`cannot open the alarm state ${path}: ${(err as Error).message}. Check that buffer.path in the manifest names a writable folder, or move a damaged file aside (active alarms are then forgotten).`, 'ALARM_STATE_OPEN');
    }
  }

  /** Every rule's memory as last written. A row that does not parse (a damaged file) is skipped. */
  load(): Map<string, { definition: string; memory: RuleMemory }> {
    const memories = new Map<string, { definition: string; memory: RuleMemory }>();
    for (const row of this.sql.all.all()) {
      try {
        memories.set(row.rule, { definition: row.definition, memory: JSON.parse(row.memory) as RuleMemory });
      } catch {
        // Nothing to restore from: the rule starts afresh.
      }
    }
    return memories;
  }

  /** Writes the changes in one transaction; a rule with nothing to remember loses its row. */
  save(changes: RuleChange[]): void {
    if (changes.length === 0) return;
    this.db.transaction(() => {
      for (const { rule, definition, memory } of changes) {
        if (memory) this.sql.put.run(rule, definition, JSON.stringify(memory));
        else this.sql.forget.run(rule);
      }
    })();
  }

  /** Drops the rows of rules not in `keep` (rules a new manifest removed, once their alarms are cleared). */
  keepOnly(keep: string[]): void {
    const kept = new Set(keep);
    this.db.transaction(() => {
      for (const { rule } of this.sql.all.all()) if (!kept.has(rule)) this.sql.forget.run(rule);
    })();
  }

  close(): void {
    this.db.close();
  }
}
