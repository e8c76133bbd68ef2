import Database from 'better-sqlite3';
import type { Batch, BatchDocument, BatchPackage, BatchResult, Transition } from '../domain/batch.js';
import type { Status } from '../domain/status.js';
import type { TenantClockState } from '../domain/tenant-clocks.js';
import { BatchCache } from './batch-cache.js';
import type { BatchStore, CasResult, DocumentOutcome } from '../domain/batch-store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS batches (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant        TEXT    NOT NULL,
  process_id    INTEGER NOT NULL,
  status        TEXT    NOT NULL,
  status_since  INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  package_id    INTEGER,
  result_path   TEXT,
  result_size   INTEGER,
  result_sha256 TEXT,
  result_at     INTEGER
);
CREATE INDEX IF NOT EXISTS batches_status ON batches(status);
CREATE INDEX IF NOT EXISTS batches_tenant ON batches(tenant, id);
CREATE TABLE IF NOT EXISTS uploads (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  batch_id    INTEGER NOT NULL,
  name        TEXT    NOT NULL,
  path        TEXT    NOT NULL,
  size        INTEGER NOT NULL,
  sha256      TEXT    NOT NULL,
  uploaded_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_batch ON uploads(batch_id);
CREATE TABLE IF NOT EXISTS documents (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  batch_id  INTEGER NOT NULL,
  seq       INTEGER NOT NULL,
  file_name TEXT    NOT NULL,
  size      INTEGER NOT NULL,
  signed    INTEGER NOT NULL DEFAULT 0,
  success   INTEGER NOT NULL DEFAULT 0,
  detail    TEXT
);
CREATE INDEX IF NOT EXISTS documents_batch ON documents(batch_id, seq);
-- The worker records each file's attempts and outcome by name: without this, every such write
-- scanned the batch's documents, so a batch of n files cost n² row visits.
CREATE INDEX IF NOT EXISTS documents_name ON documents(batch_id, file_name);
CREATE TABLE IF NOT EXISTS transitions (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  batch_id    INTEGER NOT NULL,
  from_status TEXT,
  to_status   TEXT    NOT NULL,
  event       TEXT    NOT NULL,
  at          INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS transitions_batch ON transitions(batch_id, id);
CREATE TABLE IF NOT EXISTS clocks (
  tenant         TEXT PRIMARY KEY,
  anchor_real    INTEGER NOT NULL,
  anchor_virtual INTEGER NOT NULL,
  speed          REAL    NOT NULL
);
`;

interface BatchRow {
  id: number;
  tenant: string;
  process_id: number;
  status: Status;
  status_since: number;
  created_at: number;
  package_id: number | null;
  result_path: string | null;
  result_size: number | null;
  result_sha256: string | null;
  result_at: number | null;
}
interface UploadRow {
  id: number;
  name: string;
  path: string;
  size: number;
  sha256: string;
  uploaded_at: number;
}
interface DocumentRow {
  id: number;
  file_name: string;
  size: number;
  signed: number;
  success: number;
  detail: string | null;
}

/**
 * better-sqlite3 store, in memory (':memory:') or in a file. Calls are synchronous, so a
 * compare-and-set cannot interleave with another request; WAL with synchronous=FULL makes every
 * committed write survive a crash of the process (and of the machine) before the call returns.
 */
export class SqliteBatchStore implements BatchStore {
  private readonly db: Database.Database;
  private readonly stmt;
  /** Batches as last read; every write below drops the batch it touches (see BatchCache). */
  private readonly cache = new BatchCache();
  /** `idsInStatus` queries, prepared once per list of statuses. */
  private readonly idsQueries = new Map<string, Database.Statement<Status[], { id: number }>>();

  constructor(file: string) {
    this.db = new Database(file);
    if (file !== ':memory:') this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    // Databases written before files counted their attempts.
    const columns = this.db.prepare<[], { name: string }>(`PRAGMA table_info(documents)`).all();
    if (!columns.some((c) => c.name === 'attempts')) this.db.exec(`ALTER TABLE documents ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0`);
    const db = this.db;
    this.stmt = {
      insertBatch: db.prepare(`INSERT INTO batches (tenant, process_id, status, status_since, created_at) VALUES (?, ?, 'NEW', ?, ?)`),
      getBatch: db.prepare<[number], BatchRow>(`SELECT * FROM batches WHERE id = ?`),
      getUpload: db.prepare<[number], UploadRow>(`SELECT * FROM uploads WHERE id = ?`),
      documents: db.prepare<[number], DocumentRow>(`SELECT id, file_name, size, signed, success, detail FROM documents WHERE batch_id = ? ORDER BY seq`),
      setStatus: db.prepare(`UPDATE batches SET status = ?, status_since = ? WHERE id = ? AND status = ?`),
      statusOf: db.prepare<[number], { status: Status }>(`SELECT status FROM batches WHERE id = ?`),
      insertTransition: db.prepare(`INSERT INTO transitions (batch_id, from_status, to_status, event, at) VALUES (?, ?, ?, ?, ?)`),
      insertUpload: db.prepare(`INSERT INTO uploads (batch_id, name, path, size, sha256, uploaded_at) VALUES (?, ?, ?, ?, ?, ?)`),
      setPackage: db.prepare(
        `UPDATE batches SET package_id = ?, status = ?, status_since = CASE WHEN status = ? THEN status_since ELSE ? END
         WHERE id = ? AND status = ?`,
      ),
      deleteDocuments: db.prepare(`DELETE FROM documents WHERE batch_id = ?`),
      insertDocument: db.prepare(`INSERT INTO documents (batch_id, seq, file_name, size) VALUES (?, ?, ?, ?)`),
      setResult: db.prepare(`UPDATE batches SET result_path = ?, result_size = ?, result_sha256 = ?, result_at = ? WHERE id = ? AND status != 'DELETED'`),
      setOutcome: db.prepare(`UPDATE documents SET signed = ?, success = ?, detail = ?, attempts = 0 WHERE batch_id = ? AND file_name = ?`),
      attempts: db.prepare<[number], { file_name: string; attempts: number }>(`SELECT file_name, attempts FROM documents WHERE batch_id = ? AND attempts > 0`),
      addAttempt: db.prepare<[number, string]>(`UPDATE documents SET attempts = attempts + 1 WHERE batch_id = ? AND file_name = ?`),
      clearAttempt: db.prepare<[number, string]>(`UPDATE documents SET attempts = 0 WHERE batch_id = ? AND file_name = ?`),
      syncNormal: db.prepare(`PRAGMA synchronous = NORMAL`),
      syncFull: db.prepare(`PRAGMA synchronous = FULL`),
      referenced: db.prepare<[], { path: string }>(
        `SELECT u.path AS path FROM batches b JOIN uploads u ON u.id = b.package_id
         UNION ALL SELECT result_path AS path FROM batches WHERE result_path IS NOT NULL`,
      ),
      transitions: db.prepare<[number], { from_status: Status | null; to_status: Status; event: string; at: number }>(
        `SELECT from_status, to_status, event, at FROM transitions WHERE batch_id = ? ORDER BY id`,
      ),
      count: db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM batches`),
      purgeBatch: db.prepare<[number]>(`DELETE FROM batches WHERE id = ?`),
      purgeRecords: [
        db.prepare<[number]>(`DELETE FROM uploads WHERE batch_id = ?`),
        db.prepare<[number]>(`DELETE FROM documents WHERE batch_id = ?`),
        db.prepare<[number]>(`DELETE FROM transitions WHERE batch_id = ?`),
      ],
      writable: db.prepare(`UPDATE sqlite_sequence SET seq = seq WHERE name = 'batches'`),
    };
  }

  createBatch(input: { tenant: string; processId: number; at: number }): Batch {
    const id = this.db.transaction(() => {
      const info = this.stmt.insertBatch.run(input.tenant, input.processId, input.at, input.at);
      const id = Number(info.lastInsertRowid);
      this.stmt.insertTransition.run(id, null, 'NEW', 'create', input.at);
      return id;
    })();
    return this.getBatch(id)!;
  }

  /** The batch, frozen: callers share it (a new object after every write to the batch). */
  getBatch(id: number): Batch | undefined {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const row = this.stmt.getBatch.get(id);
    return row ? this.cache.put(this.toBatch(row)) : undefined;
  }

  idsInStatus(statuses: readonly Status[]): number[] {
    if (statuses.length === 0) return [];
    // The ticker asks this 20 times a second with the same statuses: prepare each query once.
    const key = statuses.join(',');
    let query = this.idsQueries.get(key);
    if (!query) {
      query = this.db.prepare<Status[], { id: number }>(`SELECT id FROM batches WHERE status IN (${statuses.map(() => '?').join(',')}) ORDER BY id`);
      this.idsQueries.set(key, query);
    }
    return query.all(...statuses).map((r) => r.id);
  }

  listBatches(filter: { tenant?: string; limit?: number }): Batch[] {
    const limit = filter.limit ?? 1000;
    const rows =
      filter.tenant === undefined
        ? this.db.prepare<[number], BatchRow>(`SELECT * FROM batches ORDER BY id DESC LIMIT ?`).all(limit)
        : this.db.prepare<[string, number], BatchRow>(`SELECT * FROM batches WHERE tenant = ? ORDER BY id DESC LIMIT ?`).all(filter.tenant, limit);
    return rows.map((r) => this.toBatch(r));
  }

  countBatches(): number {
    return this.stmt.count.get()!.n;
  }

  setStatus(id: number, from: Status, to: Status, event: string, at: number): CasResult {
    return this.writing(id, (): CasResult => {
      const changed = this.stmt.setStatus.run(to, at, id, from).changes === 1;
      if (!changed) return { ok: false, current: this.stmt.statusOf.get(id)?.status ?? null };
      this.stmt.insertTransition.run(id, from, to, event, at);
      return { ok: true };
    });
  }

  recordUpload(id: number, from: Status, to: Status, pkg: Omit<BatchPackage, 'id'>, files: { name: string; size: number }[], at: number) {
    return this.writing(id, () => {
      const before = this.stmt.getBatch.get(id);
      if (!before || before.status !== from) return { ok: false as const, current: before?.status ?? null };
      const packageId = Number(this.stmt.insertUpload.run(id, pkg.name, pkg.path, pkg.size, pkg.sha256, pkg.uploadedAt).lastInsertRowid);
      this.stmt.setPackage.run(packageId, to, to, at, id, from);
      this.stmt.insertTransition.run(id, from, to, 'upload', at);
      this.stmt.deleteDocuments.run(id);
      files.forEach((f, seq) => this.stmt.insertDocument.run(id, seq, f.name, f.size));
      const previous = before.package_id === null ? null : this.toPackage(this.stmt.getUpload.get(before.package_id)!);
      return { ok: true as const, previous, packageId };
    });
  }

  recordResult(id: number, result: BatchResult, outcomes: DocumentOutcome[]): boolean {
    return this.writing(id, () => {
      const changed = this.stmt.setResult.run(result.path, result.size, result.sha256, result.at, id).changes === 1;
      if (!changed) return false;
      for (const o of outcomes) {
        this.stmt.setOutcome.run(o.signed ? 1 : 0, o.success ? 1 : 0, o.detail, id, o.fileName);
      }
      return true;
    });
  }

  fileAttempts(id: number): Map<string, number> {
    return new Map(this.stmt.attempts.all(id).map((r) => [r.file_name, r.attempts]));
  }

  recordAttempts(id: number, started: readonly string[], ended: readonly string[]): void {
    if (started.length === 0 && ended.length === 0) return;
    // Attempts guard against a document that takes the whole server process down, and a crash of
    // the process loses no committed write even without an fsync (WAL, synchronous=NORMAL: the
    // operating system has it). Only a crash of the machine could lose one, and then the file is
    // merely tried once more. Two fsyncs per file were most of the store's cost of sealing a small
    // document, and they stall the event loop; the next FULL commit syncs these writes too.
    this.stmt.syncNormal.run();
    try {
      // No cached batch carries attempts, so the cache is left alone.
      this.db.transaction(() => {
        for (const name of ended) this.stmt.clearAttempt.run(id, name);
        for (const name of started) this.stmt.addAttempt.run(id, name);
      })();
    } finally {
      this.stmt.syncFull.run();
    }
  }

  referencedPaths(): Set<string> {
    return new Set(this.stmt.referenced.all().map((r) => r.path));
  }

  transitions(id: number): Transition[] {
    return this.stmt.transitions.all(id).map((r) => ({ from: r.from_status, to: r.to_status, event: r.event, at: r.at }));
  }

  purgeBatch(id: number): boolean {
    return this.writing(id, () => {
      const gone = this.stmt.purgeBatch.run(id).changes === 1;
      for (const records of this.stmt.purgeRecords) records.run(id);
      return gone;
    });
  }

  purgeTenant(tenant: string | undefined): Batch[] {
    return this.db.transaction(() => {
      const victims = this.listBatches({ tenant, limit: Number.MAX_SAFE_INTEGER });
      for (const b of victims) this.purgeBatch(b.id);
      return victims;
    })();
  }

  loadClocks(): TenantClockState[] {
    return this.db
      .prepare<[], { tenant: string; anchor_real: number; anchor_virtual: number; speed: number }>(`SELECT * FROM clocks`)
      .all()
      .map((r) => ({ tenant: r.tenant, anchorReal: r.anchor_real, anchorVirtual: r.anchor_virtual, speed: r.speed }));
  }

  saveClock(s: TenantClockState): void {
    this.db
      .prepare(`INSERT OR REPLACE INTO clocks (tenant, anchor_real, anchor_virtual, speed) VALUES (?, ?, ?, ?)`)
      .run(s.tenant, s.anchorReal, s.anchorVirtual, s.speed);
  }

  deleteClocks(tenant: string | undefined): void {
    if (tenant === undefined) this.db.prepare(`DELETE FROM clocks`).run();
    else this.db.prepare(`DELETE FROM clocks WHERE tenant = ?`).run(tenant);
  }

  tenantUsage(tenant: string): { batches: number; bytes: number } {
    this.usageStmt ??= this.db.prepare<[string], { batches: number; bytes: number }>(
      `SELECT COUNT(*) AS batches, COALESCE(SUM(u.size), 0) + COALESCE(SUM(b.result_size), 0) AS bytes
         FROM batches b LEFT JOIN uploads u ON u.id = b.package_id
        WHERE b.tenant = ? AND b.status <> 'DELETED'`,
    );
    const row = this.usageStmt.get(tenant)!;
    return { batches: row.batches, bytes: row.bytes };
  }
  private usageStmt: import('better-sqlite3').Statement<[string], { batches: number; bytes: number }> | undefined;

  checkWritable(): void {
    this.stmt.writable.run();
  }

  close(): void {
    this.cache.clear();
    if (this.db.open) this.db.close();
  }

  /** One write transaction on batch `id`; the cached copy is dropped once it has committed or rolled back. */
  private writing<T>(id: number, fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } finally {
      this.cache.delete(id);
    }
  }

  private toBatch(row: BatchRow): Batch {
    const upload = row.package_id === null ? undefined : this.stmt.getUpload.get(row.package_id);
    return {
      id: row.id,
      tenant: row.tenant,
      processId: row.process_id,
      status: row.status,
      statusSince: row.status_since,
      createdAt: row.created_at,
      package: upload ? this.toPackage(upload) : null,
      result: row.result_path === null ? null : { path: row.result_path, size: row.result_size!, sha256: row.result_sha256!, at: row.result_at! },
      documents: this.stmt.documents.all(row.id).map(
        (d): BatchDocument => ({
          id: d.id,
          fileName: d.file_name,
          size: d.size,
          signed: d.signed === 1,
          success: d.success === 1,
          detail: d.detail,
        }),
      ),
    };
  }

  private toPackage(u: UploadRow): BatchPackage {
    return { id: u.id, name: u.name, path: u.path, size: u.size, sha256: u.sha256, uploadedAt: u.uploaded_at };
  }
}
