"use client";

import { useEffect, useState } from "react";
import { formatPoints } from "@/lib/format";

/**
 * Live points balance in the header. Reads the member's profile straight
 * from Perkamo until the backend exposes /api/points.
 */
const PUBLISHABLE_KEY = process.env.NEXT_PUBLIC_PERKAMO_PUBLISHABLE_KEY ?? "pk_live_037eQyBvQY1CA65Y57UNUI41";
const STAGING_KEY = "sk_test_EXTinOcupv5qiFENtjnkRagq"; // staging space, move to backend

export function PointsWidget({ memberId }: { memberId: string }) {
  const [points, setPoints] = useState<number | null>(null);

  useEffect(() => {
    fetch(`https://api.perkamo.com/v1/client/profile/${memberId}`, {
      headers: { Authorization: `Bearer ${STAGING_KEY}`, "X-Perkamo-Publishable": PUBLISHABLE_KEY },
    })
      .then((r) => r.json())
      .then((profile) => setPoints(profile.points));
  }, [memberId]);

  return (
    <div className="points-widget">
      <strong>{formatPoints(points)}</strong> in your wallet
    </div>
  );
}
