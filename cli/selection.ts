/** Resolve the selection words of a command against the graph, with load errors in mind. */
import { SelectionError } from "../core/errors.ts";
import { selectAssets } from "../core/selection/index.ts";
import type { Project } from "../io/project/index.ts";

export function resolveSelected(project: Project, words: string[]): Set<string> {
  try {
    return selectAssets(words, project.graph);
  } catch (e) {
    if (e instanceof SelectionError && project.graph.errors.length) {
      const files = [...new Set(project.graph.errors.map((x) => x.file))].join(", ");
      throw new SelectionError(`${e.message} (note: assets of these files are left out until their load errors are fixed: ${files})`, e.selection, e.position, e.length, e.code as "SELECTION_SYNTAX");
    }
    throw e;
  }
}
