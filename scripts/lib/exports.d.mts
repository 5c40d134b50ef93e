export declare const REPO_ROOT: string;
export declare const FUNCTIONS_DIR: string;
export declare function functionsEntry(functionsDir?: string): string;
export declare function exportedFunctions(functionsDir?: string): string[];
