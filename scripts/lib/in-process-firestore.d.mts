import { FirestoreServer as PackageFirestoreServer } from "@firestore-emulator/server";

/** A stored document as a commit saw it: fields are the package's typed field objects. */
export interface CommittedDocument {
  name: string;
  fields: Record<string, unknown>;
  createTime: Date;
  updateTime: Date;
}
export interface CommittedChange {
  /** Full name: projects/{p}/databases/{d}/documents/{path} */
  name: string;
  before: CommittedDocument | null;
  after: CommittedDocument | null;
}
export interface CommitEvent {
  commitTime: Date;
  changes: CommittedChange[];
}

export interface TransactionStats {
  begun: number;
  committed: number;
  rolledBack: number;
  aborted: {
    wounded: number;
    validation: number;
    expired: number;
    cancelled: number;
    superseded: number;
    cleared: number;
    failed: number;
  };
  waits: number;
}
export interface TransactionManager {
  readonly stats: TransactionStats;
  readonly activeCount: number;
  readonly lockedCount: number;
  leaseMs: number;
}

export declare function isolationByDefault(): boolean;

export declare class FirestoreServer extends PackageFirestoreServer {
  constructor(options?: { isolation?: boolean; leaseMs?: number });
  readonly isolation: boolean;
  /** Null when isolation is off. */
  readonly transactions: TransactionManager | null;
  onCommit(listener: (event: CommitEvent) => void): () => void;
}
