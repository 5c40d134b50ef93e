/** The one place that initialises the Admin SDK. Everything in data/ gets Firestore from here. */
import { getApps, initializeApp } from "firebase-admin/app";
import { getAuth } from "firebase-admin/auth";
import { getFirestore, type Firestore } from "firebase-admin/firestore";

let db: Firestore | undefined;

export function app() {
  return getApps()[0] ?? initializeApp();
}

export function firestore(): Firestore {
  if (!db) {
    db = getFirestore(app());
    db.settings({ ignoreUndefinedProperties: true });
  }
  return db;
}

export function auth() {
  return getAuth(app());
}
