export interface ApiDocsContract {
  CALLABLES: Readonly<Record<string, { summary: string; allow: readonly string[] }>>;
  CALLABLE_NAMES: readonly string[];
  ERROR_CODES: Readonly<Record<string, string>>;
  ROLES: readonly string[];
  contractJsonSchema: (name: never) => { input: object; output: object };
  authority: { analyst: number; manager: number };
  /** Per callable, the test files that call it (testsByCallable). */
  tests?: Record<string, string[]>;
}
export declare function testsByCallable(
  files: ReadonlyArray<{ path: string; text: string }>,
  names: readonly string[],
): Record<string, string[]>;
export declare function readTestFiles(root: string): Array<{ path: string; text: string }>;
export declare function renderApiDocs(contract: ApiDocsContract): string;
export declare function fieldRows(
  schema: object,
): Array<{ path: string; type: string; required: boolean; rules: string; notes: string }>;
export declare const EXAMPLE_PATH: string;
export declare function withReadmeExample(readme: string, exampleCode: string): string;
