export declare const AUDIT_KEYS_NAME: "CREDIT_DESK_AUDIT_KEYS";
export declare const LOCAL_SECRET_FILE: string;
export declare function generateAuditKeyring(id?: string): string;
export declare function readLocalAuditKeyring(file?: string): string | null;
export declare function ensureLocalAuditKey(file?: string): { created: boolean; file: string };
export declare function scriptAuditKeyring(
  opts: { local: boolean },
  env?: Record<string, string | undefined>,
): { keyring: string; source: string } | null;
export declare function requireScriptAuditKeyring<K>(opts: { local: boolean }, parse: (keyring: string) => K): K;
