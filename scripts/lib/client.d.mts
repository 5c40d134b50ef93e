import type { FirebaseApp } from "firebase/app";
import type { Auth, ParsedToken, User } from "firebase/auth";
import type { Functions } from "firebase/functions";
import type { CreditDeskClient } from "../../functions/src/client/index.js";

export interface ClientSessionOptions {
  projectId: string;
  region: string;
  /** "127.0.0.1:9099" */
  authHost: string;
  /** "http://127.0.0.1:5001" */
  functionsOrigin: string;
  name?: string;
}

export interface ClientSession {
  readonly app: FirebaseApp;
  readonly auth: Auth;
  readonly functions: Functions;
  /** The typed callables (credit-desk-functions/client), every result checked against its output schema. */
  readonly desk: CreditDeskClient;
  readonly user: User | null;
  /** Any callable with any data (hostile inputs too); resolves to the result data, rejects with a FunctionsError (code "functions/..."). */
  call<T = unknown>(callableName: string, data?: unknown, opts?: { timeoutMs?: number }): Promise<T>;
  signIn(email: string, password: string): Promise<User>;
  signUpOrIn(email: string, password: string): Promise<User>;
  claims(forceRefresh?: boolean): Promise<ParsedToken | null>;
  signOut(): Promise<void>;
  close(): Promise<void>;
}

export declare function clientSession(opts: ClientSessionOptions): ClientSession;
