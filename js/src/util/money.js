// Money as the kernel sends it: decimal text ("0.32"), never a float to compute with.

/** "$0.32" from decimal text (two decimals at least); "" for null. */
export function formatMoney(amount) {
  if (amount === null || amount === undefined || amount === "") return "";
  const text = String(amount);
  const [whole, fraction = ""] = text.split(".");
  return `$${whole}.${fraction.padEnd(2, "0")}`;
}

/**
 * How a take's cost reads: billed ("$0.32"), an estimate ("≈ $0.40 estimate"), or said to be
 * unreported (never "$0.00").
 * @param {{kind?: string, amount?: string | null} | null | undefined} cost
 */
export function costText(cost) {
  if (!cost) return "";
  if (cost.kind === "billed" && cost.amount !== null) return formatMoney(cost.amount);
  if (cost.kind === "estimate" && cost.amount !== null) {
    return `≈ ${formatMoney(cost.amount)} estimate`;
  }
  return "cost not reported";
}
