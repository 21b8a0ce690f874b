// This browser's own random id, kept in its storage: the edge counts wrong PINs per device
// (behind a reverse proxy every device has the same address), and a manager unlocks it by this id.
const KEY = "vitrine.browser.id";

export function browserId() {
  let id = localStorage.getItem(KEY);
  if (!id || !/^[A-Za-z0-9._-]{8,64}$/.test(id)) {
    const bytes = crypto.getRandomValues(new Uint8Array(12)); // works on a plain-http LAN, unlike randomUUID
    id = `b-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
    localStorage.setItem(KEY, id);
  }
  return id;
}
