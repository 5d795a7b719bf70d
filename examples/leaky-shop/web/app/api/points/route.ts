import { NextResponse } from "next/server";
import { perkamo, type Profile } from "@/lib/perkamo.server";

// Route handler: runs on the server. The browser calls this, not Perkamo.
export async function GET(request: Request) {
  const memberId = new URL(request.url).searchParams.get("member");
  if (!memberId) return NextResponse.json({ error: "member is required" }, { status: 400 });
  const profile = await perkamo<Profile>(`/v1/profile/${encodeURIComponent(memberId)}`);
  return NextResponse.json({ points: profile.points, tier: profile.tier });
}
