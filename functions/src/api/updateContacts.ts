import * as contacts from "../services/contacts.js";
import { callable } from "./common.js";

export const updateContacts = callable("updateContacts", (input, { caller, now }) =>
  contacts.updateContacts(input, caller, now),
);
