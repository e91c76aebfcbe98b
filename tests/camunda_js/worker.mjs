// Camunda's unmodified JavaScript external task client as an EximeeBPMS team runs it.
// Usage: node worker.mjs <engine-rest base URL> <topic> <Basic user> <Basic password> [mode]
// Modes (what the handler does with the first task it gets, then the script exits):
//   complete   read a typed variable, extend the lock, complete with variables (default)
//   fail       report a failure with no retries left (Camunda's incident)
//   bpmn-error throw the BPMN error REJECTED with a variable
// Prints one JSON line: the task, what it read, and how many polls it took.
import {
  BasicAuthInterceptor,
  Client,
  Variables,
  logger,
} from "camunda-external-task-client-js";

const [baseUrl, topic, username, password, mode = "complete"] = process.argv.slice(2);
const client = new Client({
  baseUrl,
  workerId: "js-worker",
  asyncResponseTimeout: 10000,
  interceptors: new BasicAuthInterceptor({ username, password }),
  use: logger.level("error"),
});
let polls = 0;
client.on("poll:start", () => {
  polls += 1;
});

function done(task, extra) {
  const amount = task.variables.get("amount");
  const typed = task.variables.getAllTyped().amount.type;
  console.log(JSON.stringify({ task: task.id, amount, typed, workerId: task.workerId, polls, ...extra }));
  client.stop();
  process.exit(0);
}

client.subscribe(topic, { lockDuration: 5000 }, async ({ task, taskService }) => {
  if (mode === "fail") {
    await taskService.handleFailure(task, {
      errorMessage: "js backend down",
      errorDetails: "js trace",
      retries: 0,
      retryTimeout: 0,
    });
    return done(task, { mode });
  }
  if (mode === "bpmn-error") {
    const variables = new Variables().set("reason", "js says no");
    await taskService.handleBpmnError(task, "REJECTED", "score too low", variables);
    return done(task, { mode });
  }
  await taskService.extendLock(task, 120000);
  const amount = task.variables.get("amount");
  const variables = new Variables()
    .set("score", amount / 10)
    .set("checkedBy", "js")
    .setTyped("approved", { type: "Boolean", value: true, valueInfo: {} });
  await taskService.complete(task, variables);
  return done(task, { mode, completed: task.id });
});
for (const event of ["poll:error", "complete:error", "extendLock:error", "handleFailure:error", "handleBpmnError:error"]) {
  client.on(event, (...args) => console.error(event, String(args[args.length - 1])));
}
