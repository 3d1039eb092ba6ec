/**
 * `api` (`npm run api`): the demo consortium's three banks on the in-process network, as `npm run demo` sets them
 * up, each with its HTTP API on localhost (ports from `--port` on), and a bearer token per bank and role signed by
 * a demo key generated at start (demo only). Prints each bank's URL and tokens, writes them as shell `export`
 * lines to `<run-dir>/env.sh`, and serves until Ctrl-C. Loaded by hardhat.config.ts: imports nothing that needs
 * the contracts' bindings until it runs.
 */
import path from "node:path";
import { commandTask } from "../tasks/define";

interface ApiArgs {
  port: string;
  runDir: string;
  json: boolean;
}

commandTask(
  "api",
  "Serve the demo banks' HTTP APIs on localhost with demo bearer tokens per role, until Ctrl-C",
  (t) =>
    t
      .addOptionalParam("port", "Port of the first bank's API; the others follow", "8641")
      .addOptionalParam(
        "runDir",
        "Where the banks' tokens, logs and env.sh are written (emptied first)",
        "reports/api",
      ),
  async (args: ApiArgs, out, hre) => {
    const { startDemoApi } = await import("./demo");
    const port = Number(args.port);
    const api = await startDemoApi(hre, {
      runDir: path.resolve(hre.config.paths.root, args.runDir),
      consortiumConfig: path.join(hre.config.paths.root, "deploy", "consortia", "demo.json"),
      port,
    });
    out.line(
      "DEMO ONLY: the tokens below are signed by a key generated at start; a bank trusts its own identity provider.",
    );
    for (const b of api.banks) {
      out.line();
      out.line(`${b.bank.name}  ${b.url}  (docs ${b.url}/docs, OpenAPI ${b.url}/openapi.json)`);
      out.line(`  account ${b.bank.address}`);
      for (const [role, token] of Object.entries(b.tokens)) out.line(`  ${role.padEnd(13)} ${token}`);
    }
    out.line();
    out.line(`Every URL, account and token as shell variables: source ${path.relative(process.cwd(), api.envFile)}`);
    out.line("Serving until Ctrl-C.");
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await api.close();
    return out.result({ banks: api.banks.map((b) => ({ name: b.bank.name, url: b.url })) });
  },
);
