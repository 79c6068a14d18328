import { caretLines, DagxError } from "../errors.ts";

/**
 * A `--partition` / `--partitions` value that does not parse or names partitions that do not
 * exist. Exit code 2; `pointer` shows the offending part.
 */
export class PartitionRangeError extends DagxError {
  constructor(
    message: string,
    readonly selection: string,
    readonly position: number,
    readonly length: number = 1,
  ) {
    super("USAGE", message);
    this.name = "PartitionRangeError";
  }

  /** The selection with a caret line under the offending part. */
  get pointer(): string {
    return caretLines(this.selection, this.position, this.length);
  }
}
