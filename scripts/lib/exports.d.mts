export declare const REPO_ROOT: string;
export declare const FUNCTIONS_DIR: string;
export declare function functionsEntry(functionsDir?: string): string;
export declare function exportedFunctions(functionsDir?: string): string[];
/** Exported event-triggered functions → whether they ask for retries (eventTrigger.retry). */
export declare function eventTriggerRetries(functionsDir?: string): Promise<Record<string, boolean>>;
