// Prints the host binary's path (built first if needed): dagxCommandSync() in tests/support/dagx-command.ts.
import { hostBinary } from "./binary.ts";

console.log(await hostBinary());
