import * as orders from "../services/orders.js";
import { callable } from "./common.js";

export const cancelReservation = callable("cancelReservation", (input, { caller, now }) =>
  orders.cancelReservation(input, caller, now),
);
