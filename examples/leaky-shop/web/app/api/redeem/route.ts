import { NextResponse } from "next/server";

const PERKAMO_API = "https://api.perkamo.com";

export async function POST(request: Request) {
  const { memberId, rewardId, transactionId } = await request.json();
  const response = await fetch(`${PERKAMO_API}/v1/rewards/redeem`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${process.env.PERKAMO_SECRET_KEY!}`,
      "Content-Type": "application/json",
    },
    body: JSON.stringify({ user_id: memberId, reward_id: rewardId, transaction_id: transactionId }),
  });
  return NextResponse.json(await response.json(), { status: response.status });
}
