import type { CommitEvent, CommittedChange, CommittedDocument } from "./in-process-firestore.mjs";

/** A Firestore JSON Value (google.events.cloud.firestore.v1.Value in its JSON mapping). */
export type FirestoreJsonValue = Record<string, unknown>;
export interface FirestoreJsonDocument {
  name: string;
  fields: Record<string, FirestoreJsonValue>;
  createTime: string;
  updateTime: string;
}

export interface FirestoreTrigger {
  id: string;
  entryPoint: string;
  region: string | null;
  eventType: string;
  kind: "written" | "created" | "updated" | "deleted";
  withAuthContext: boolean;
  database: string;
  namespace: string;
  /** The document path or pattern, e.g. customers/{customerId}/transactions/{externalId} */
  document: string;
  exact: boolean;
  retry: boolean;
}

export interface FirestoreCloudEvent {
  specversion: "1.0";
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: "application/json";
  location: string;
  project: string;
  database: string;
  namespace: string;
  document: string;
  data: { value?: FirestoreJsonDocument; oldValue?: FirestoreJsonDocument; updateMask?: { fieldPaths: string[] } };
}

export interface DeliveryRecord {
  eventId: string;
  trigger: string;
  document: string;
  type: string;
  outcome: "pending" | "delivered" | "disabled" | "failed";
  attempts: number;
}

export interface TriggerDelivery {
  readonly stats: {
    changes: number;
    deliveries: number;
    delivered: number;
    retried: number;
    failed: number;
    redelivered: number;
  };
  triggers(): Promise<FirestoreTrigger[]>;
  idle(): Promise<void>;
  deliveries(): DeliveryRecord[];
  redeliver(eventId: string): Promise<number[]>;
  stop(): Promise<void>;
}

export declare const FIRESTORE_EVENT_PREFIX: string;
export declare function timestampJson(seconds: number, nanos: number): string;
export declare function encodeValue(field: unknown): FirestoreJsonValue;
export declare function encodeFields(fields: Record<string, unknown>): Record<string, FirestoreJsonValue>;
export declare function encodeDocument(doc: CommittedDocument): FirestoreJsonDocument;
export declare function changedFieldPaths(before: Record<string, unknown>, after: Record<string, unknown>): string[];
export declare function parseDocumentName(name: string): { project: string; database: string; document: string };
export declare function matchDocumentPattern(pattern: string, document: string): Record<string, string> | null;
export declare function changeKind(change: CommittedChange): "created" | "updated" | "deleted" | null;
export declare function firestoreTriggers(backends: unknown, retries?: Record<string, boolean>): FirestoreTrigger[];
export declare function triggerMatches(
  trigger: FirestoreTrigger,
  change: CommittedChange,
): Record<string, string> | null;
export declare function cloudEventFor(
  trigger: FirestoreTrigger,
  change: CommittedChange,
  opts: { id: string; commitTime: Date; location: string },
): FirestoreCloudEvent;
export declare function startTriggerDelivery(opts: {
  server: { onCommit(listener: (event: CommitEvent) => void): () => void };
  functionsOrigin: string;
  projectId: string;
  location?: string;
  log?: (line: string) => void;
  concurrency?: number;
  retries?: Record<string, boolean>;
  backoff?: { initialMs?: number; maxMs?: number; maxAttempts?: number };
}): TriggerDelivery;
