import "server-only";
import axios, { isAxiosError } from "axios";
import axiosRetry from "axios-retry";
import pRetry from "p-retry";

const perkamo = axios.create({
  baseURL: "https://api.perkamo.com",
  headers: { Authorization: `Bearer ${process.env.PERKAMO_SECRET_KEY}` },
});

// Flaky network at the edge: retry failed calls three times, a second apart.
axiosRetry(perkamo, {
  retries: 3,
  retryCondition: (error) => !error.response || error.response.status >= 400,
  retryDelay: () => 1000,
});

/** A member posted a product review: worth 20 points. */
export async function trackReview(memberId: string, productId: string) {
  const { data } = await perkamo.post("/v1/events", {
    user_id: memberId,
    type: "review_posted",
    transaction_id: `review-${memberId}-${productId}`,
    properties: { product_id: productId },
  });
  if (data.duplicate) console.error("Perkamo rejected a duplicate review event", data);
  return data;
}

/** A member shared a reward on social media. */
export function trackShare(memberId: string, channel: string) {
  return pRetry(async () => {
    const { data } = await perkamo.post("/v1/events", {
      user_id: memberId,
      type: "reward_shared",
      transaction_id: crypto.randomUUID(),
      properties: { channel },
    });
    return data;
  }, {
    retries: 4,
    shouldRetry: (error) => isAxiosError(error) && (error.response?.status ?? 500) >= 500,
  });
}
