// A first call: sign in as the demo sales rep and check an order for one of their customers.
// With `npm start` running (it prints the demo customers' ids), from the repo's root:
//   node docs/examples/first-call.mjs <customerId>
// Elsewhere: CREDIT_DESK_AUTH=host:port, CREDIT_DESK_FUNCTIONS=host:port, CREDIT_DESK_PROJECT.
import { deleteApp, initializeApp } from "firebase/app";
import { connectAuthEmulator, getAuth, signInWithEmailAndPassword } from "firebase/auth";
import { connectFunctionsEmulator, getFunctions, httpsCallable } from "firebase/functions";
import { creditDesk } from "credit-desk-functions/client";

const customerId = process.argv[2] ?? process.env.CUSTOMER_ID;
if (!customerId)
  throw new Error("usage: node docs/examples/first-call.mjs <customerId> (npm start prints the demo customers)");
const authHost = process.env.CREDIT_DESK_AUTH ?? "127.0.0.1:9099";
const [functionsHost = "127.0.0.1", functionsPort = "5001"] = (
  process.env.CREDIT_DESK_FUNCTIONS ?? "127.0.0.1:5001"
).split(":");

const app = initializeApp({ projectId: process.env.CREDIT_DESK_PROJECT ?? "demo-credit", apiKey: "demo-key" });
const auth = getAuth(app);
const functions = getFunctions(app, "us-central1");
connectAuthEmulator(auth, `http://${authHost}`, { disableWarnings: true }); // local stack only
connectFunctionsEmulator(functions, functionsHost, Number(functionsPort)); // local stack only

await signInWithEmailAndPassword(auth, "sales@demo.test", "demo-password");
const desk = creditDesk(functions, httpsCallable); // typed: names, inputs and results of docs/API.md
const result = await desk.checkOrder({ customerId, orderAmount: 1_250_00 }); // money in minor units: 1,250.00
console.log(JSON.stringify(result)); // {"decision":"approve"|"review"|"reject","availableCredit":…,"reasons":[…]}
await deleteApp(app);
