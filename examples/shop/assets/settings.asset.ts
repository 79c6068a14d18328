import { asset } from "dagx";

/** Plain values are stored as JSON and arrive downstream as the value itself. */
export const settings = asset({ group: "config", description: "Reporting settings" }, () => ({
  currency: "EUR",
  vatRate: 0.19,
  topN: 3,
}));
