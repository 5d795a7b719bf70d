export function formatPoints(points: number | null): string {
  if (points === null) return "…";
  return `${points.toLocaleString("en-US")} pts`;
}

export function tierLabel(tier: string): string {
  return tier.charAt(0).toUpperCase() + tier.slice(1).toLowerCase();
}
