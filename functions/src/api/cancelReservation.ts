import { cancelReservationInput } from "../schemas/callables.js";
import * as orders from "../services/orders.js";
import { callable } from "./common.js";

export const cancelReservation = callable({
  name: "cancelReservation",
  allow: ["sales", "integration", "analyst", "manager"],
  input: cancelReservationInput,
  run: (input, { caller, now }) => orders.cancelReservation(input, caller, now),
});
