// Camunda's unmodified JavaScript external task client as an EximeeBPMS team runs it:
// subscribe to a topic, read a typed variable, extend the lock, complete with variables.
// Usage: node worker.mjs <engine-rest base URL> <topic> <Basic user> <Basic password>
// Prints one JSON line per completed task, then exits after the first.
import {
  BasicAuthInterceptor,
  Client,
  Variables,
  logger,
} from "camunda-external-task-client-js";

const [baseUrl, topic, username, password] = process.argv.slice(2);
const client = new Client({
  baseUrl,
  workerId: "js-worker",
  asyncResponseTimeout: 10000,
  interceptors: new BasicAuthInterceptor({ username, password }),
  use: logger.level("error"),
});

client.subscribe(topic, { lockDuration: 5000 }, async ({ task, taskService }) => {
  const amount = task.variables.get("amount");
  const typed = task.variables.getAllTyped().amount.type;
  await taskService.extendLock(task, 120000);
  const variables = new Variables()
    .set("score", amount / 10)
    .set("checkedBy", "js")
    .setTyped("approved", { type: "Boolean", value: true, valueInfo: {} });
  await taskService.complete(task, variables);
  console.log(JSON.stringify({ completed: task.id, amount, typed, workerId: task.workerId }));
  client.stop();
  process.exit(0);
});
client.on("poll:error", (e) => console.error("poll:error", String(e)));
client.on("complete:error", (_task, e) => console.error("complete:error", String(e)));
client.on("extendLock:error", (_task, e) => console.error("extendLock:error", String(e)));
