// Test preload: registers the virtual "dagx" module so asset files imported by io tests resolve it.
import { registerDagxModule } from "../io/project/virtual-module.ts";
registerDagxModule();
