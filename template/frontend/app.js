// Talks to the Kernia auth API at window.KERNIA_AUTH_URL (from /config.js) with cookies included.
const AUTH = window.KERNIA_AUTH_URL;
const $ = (id) => document.getElementById(id);

async function api(path, { method = "GET", body } = {}) {
  const response = await fetch(`${AUTH}${path}`, {
    method,
    credentials: "include",
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Error((data && (data.message || data.code)) || response.statusText);
  return data;
}

function formData(form) {
  return Object.fromEntries(new FormData(form).entries());
}

function say(message) {
  $("status").textContent = message;
}

async function refresh() {
  const data = await api("/get-session").catch(() => null);
  const signedIn = Boolean(data && data.session);
  $("signed-in").hidden = !signedIn;
  $("signed-out").hidden = signedIn;
  $("session").textContent = signedIn ? JSON.stringify(data, null, 2) : "";
  say(signedIn ? `Signed in as ${data.user.email}` : "Signed out");
}

function handle(formId, action) {
  $(formId).addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await action(formData(event.target));
      event.target.reset();
    } catch (error) {
      say(`Error: ${error.message}`);
    }
  });
}

handle("sign-up", async ({ name, email, password }) => {
  await api("/sign-up/email", { method: "POST", body: { name, email, password } });
  await api("/send-verification-email", { method: "POST", body: { email, callback_url: location.origin } });
  say("Check your inbox to verify your email, then sign in.");
});

handle("sign-in", async ({ email, password }) => {
  await api("/sign-in/email", { method: "POST", body: { email, password } });
  await refresh();
});

const resetToken = new URLSearchParams(location.search).get("token");
if (resetToken) $("reset-password").hidden = false;
handle("reset-password", async ({ password }) => {
  await api("/reset-password", { method: "POST", body: { token: resetToken, password } });
  history.replaceState(null, "", location.pathname);
  $("reset-password").hidden = true;
  say("Password changed: sign in with the new one.");
});

$("sign-out").addEventListener("click", async () => {
  await api("/sign-out", { method: "POST", body: {} }).catch((error) => say(`Error: ${error.message}`));
  await refresh();
});

refresh();
