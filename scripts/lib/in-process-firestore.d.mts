export { FirestoreServer } from "@firestore-emulator/server";
