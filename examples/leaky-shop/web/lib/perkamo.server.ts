import "server-only";

const PERKAMO_API = "https://api.perkamo.com";

/** Calls Perkamo with the server key; only route handlers and server components import this. */
export async function perkamo<T>(path: string, init: RequestInit = {}): Promise<T> {
  const key = process.env.PERKAMO_SECRET_KEY;
  if (!key) throw new Error("PERKAMO_SECRET_KEY is not set");
  const response = await fetch(`${PERKAMO_API}${path}`, {
    ...init,
    headers: {
      Authorization: `Bearer ${key}`,
      "Content-Type": "application/json",
      ...init.headers,
    },
    cache: "no-store",
  });
  if (!response.ok) throw new Error(`Perkamo ${path}: HTTP ${response.status}`);
  return response.json() as Promise<T>;
}

export type Profile = { user_id: string; points: number; tier: string };
