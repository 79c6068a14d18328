/**
 * Tabular data: rows, Arrow tables and SQL results to Parquet, and Parquet back to rows and Arrow, always reading exact files.
 * The only door into io/tabular/: other folders import from here, never a file behind it.
 */
export { bindValues, fileListSql, parquetSql, quoteLiteral, toParams, wrapQuery } from "./_sql.ts";
export { keyColumns, partitionFilesSql } from "./parquet-source.ts";
export { createTempTable, readParquetArrow, readParquetRows, readTableArrow, readTableRows, writeArrowParquet, writeRowsParquet, writeSqlParquet } from "./tabular.ts";
