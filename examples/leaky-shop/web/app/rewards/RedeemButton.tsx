"use client";

import { useState } from "react";

type Props = { memberId: string; rewardId: string };

export function RedeemButton({ memberId, rewardId }: Props) {
  const [busy, setBusy] = useState(false);

  async function redeem() {
    setBusy(true);
    try {
      await fetch("https://api.perkamo.com/v1/rewards/redeem", {
        method: "POST",
        headers: {
          Authorization: `Bearer ${process.env.PERKAMO_SECRET_KEY}`,
          "Content-Type": "application/json",
        },
        body: JSON.stringify({
          user_id: memberId,
          reward_id: rewardId,
          transaction_id: crypto.randomUUID(),
        }),
      });
    } finally {
      setBusy(false);
    }
  }

  return (
    <button disabled={busy} onClick={redeem}>
      {busy ? "Redeeming…" : "Redeem"}
    </button>
  );
}
