/**
 * A Firebase JS client session against the local stack: one FirebaseApp per user, its
 * Auth connected to the Auth emulator and its Functions to the Functions emulator, and
 * the callables through the typed client module (credit-desk-functions/client) with every
 * result checked against its output schema. This is what the web and mobile clients do,
 * so the seed and the e2e tests go through exactly the same path (ID token with the
 * `role` claim → callable → firebase-admin) and the same client the README shows.
 */
import { deleteApp, initializeApp } from "firebase/app";
import {
  connectAuthEmulator,
  createUserWithEmailAndPassword,
  getAuth,
  inMemoryPersistence,
  initializeAuth,
  signInWithEmailAndPassword,
  signOut,
} from "firebase/auth";
import { connectFunctionsEmulator, getFunctions, httpsCallable } from "firebase/functions";
import { creditDesk, isCallableName } from "credit-desk-functions/client";

let sessionCounter = 0;

/**
 * @param {{ projectId: string, region: string, authHost: string, functionsOrigin: string, name?: string }} opts
 *   authHost "127.0.0.1:9099"; functionsOrigin "http://127.0.0.1:5001".
 */
export function clientSession({ projectId, region, authHost, functionsOrigin, name }) {
  const appName = `${name ?? "session"}-${process.pid}-${++sessionCounter}`;
  const app = initializeApp({ projectId, apiKey: "demo-api-key", authDomain: `${projectId}.firebaseapp.com` }, appName);
  let auth;
  try {
    auth = initializeAuth(app, { persistence: inMemoryPersistence });
  } catch {
    auth = getAuth(app);
  }
  connectAuthEmulator(auth, `http://${authHost}`, { disableWarnings: true });
  const functions = getFunctions(app, region);
  const origin = new URL(functionsOrigin);
  connectFunctionsEmulator(functions, origin.hostname, Number(origin.port));

  return {
    app,
    auth,
    functions,
    /** The typed callables (results checked against the contract). */
    desk: creditDesk(functions, httpsCallable, { timeoutMs: 70_000, checkResults: true }),
    get user() {
      return auth.currentUser;
    },
    /**
     * Call a callable by name with any data (hostile inputs too); resolves to its result data
     * (rejects with FunctionsError: code "functions/..."). A callable of the contract goes
     * through the typed client, so its result is checked against its output schema.
     */
    async call(callableName, data, { timeoutMs = 70_000 } = {}) {
      if (isCallableName(callableName))
        return creditDesk(functions, httpsCallable, { timeoutMs, checkResults: true }).call(callableName, data);
      const res = await httpsCallable(functions, callableName, { timeout: timeoutMs })(data);
      return res.data;
    },
    async signIn(email, password) {
      const cred = await signInWithEmailAndPassword(auth, email, password);
      return cred.user;
    },
    /** Sign up, or sign in when the account exists already (re-runs against a running stack). */
    async signUpOrIn(email, password) {
      try {
        return (await createUserWithEmailAndPassword(auth, email, password)).user;
      } catch (err) {
        if (err?.code !== "auth/email-already-in-use") throw err;
        return (await signInWithEmailAndPassword(auth, email, password)).user;
      }
    },
    /** The current ID token's claims, refreshed from the Auth emulator first. */
    async claims(forceRefresh = true) {
      if (!auth.currentUser) return null;
      await auth.currentUser.getIdToken(forceRefresh);
      return (await auth.currentUser.getIdTokenResult()).claims;
    },
    async signOut() {
      await signOut(auth);
    },
    async close() {
      try {
        await signOut(auth);
      } catch {
        /* ignore */
      }
      await deleteApp(app);
    },
  };
}
