/** A count or rate as the bench writes it: rounded, with thousands separators. */
export const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
