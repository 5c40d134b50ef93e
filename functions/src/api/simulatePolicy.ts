import { taskQueueEnqueuer } from "../jobs/taskQueue.js";
import { simulatePolicy as simulate, type SimulationTask } from "../services/simulation.js";
import { callable } from "./common.js";

export const simulatePolicy = callable("simulatePolicy", (input, { caller, now }) =>
  simulate(input, caller, now, { enqueue: taskQueueEnqueuer<SimulationTask>("simulatePolicyBatch") }),
);
