// Talks to the Kernia auth API at window.KERNIA_AUTH_URL (from /config.js) with cookies included.
// Email links land here (through the backend, which checks their token first) with ?verified=1, ?token=
// (choose a new password) or ?error=CODE; the page says what happened in a sentence and cleans the URL.
const AUTH = window.KERNIA_AUTH_URL;
const HOME = `${location.origin}/`;
const $ = (id) => document.getElementById(id);

const MESSAGES = {
  INVALID_CREDENTIALS:
    "That email and password don't match an account. " +
    "If you have signed up but not verified your address yet, we emailed you a new link: open it, then sign in.",
  INVALID_EMAIL_OR_PASSWORD: "That email and password don't match an account.",
  EMAIL_ALREADY_IN_USE: "An account with this email already exists. Sign in instead.",
  USER_ALREADY_EXISTS: "An account with this email already exists. Sign in instead.",
  PASSWORD_TOO_SHORT: "Choose a password of at least 8 characters.",
  PASSWORD_TOO_LONG: "That password is too long. Choose a shorter one.",
  INVALID_TOKEN: "This password reset link is invalid or has expired. Ask for a new one below.",
  VERIFICATION_LINK_INVALID:
    "This verification link is invalid, has expired or was already used. " +
    "If your address is not verified yet, sign in and we will send you a new link.",
  MAGIC_LINK_INVALID: "This sign-in link is invalid, has expired or was already used. Ask for a new one below.",
  TOO_MANY_REQUESTS: "Too many attempts. Wait a minute, then try again.",
  NETWORK: "The sign-in service can't be reached. Check your connection and try again.",
};

class ProblemError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

function sentence(code, status, message) {
  if (code && MESSAGES[code]) return MESSAGES[code];
  if (status === 429) return MESSAGES.TOO_MANY_REQUESTS;
  if (message && /\s/.test(message)) return /[.!?]$/.test(message) ? message : `${message}.`;
  return "Something went wrong. Please try again.";
}

async function api(path, { method = "GET", body } = {}) {
  let response;
  try {
    response = await fetch(`${AUTH}${path}`, {
      method,
      credentials: "include",
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new ProblemError(MESSAGES.NETWORK);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const code = data && (data.code || data.error);
    throw new ProblemError(sentence(code, response.status, data && data.message), code);
  }
  return data;
}

function say(message, kind = "info") {
  const status = $("status");
  status.textContent = message;
  status.dataset.kind = kind;
}

function formatExpiry(value) {
  const number = Number(value);
  let date;
  if (Number.isFinite(number) && String(value).trim() !== "") {
    date = new Date(number > 1e11 ? number : number * 1000);
  } else {
    date = new Date(value);
  }
  if (Number.isNaN(date.getTime())) return "unknown";
  return date.toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
    timeZoneName: "short",
  });
}

function show(view) {
  for (const id of ["signed-in", "signed-out"]) $(id).hidden = id !== view;
}

async function refresh() {
  let data = null;
  try {
    data = await api("/get-session");
  } catch (error) {
    say(error.message, "error");
  }
  const signedIn = Boolean(data && data.session && data.user);
  if (signedIn) {
    $("user-name").textContent = data.user.name || "(no name)";
    $("user-email").textContent = data.user.email;
    const expires = $("session-expires");
    expires.textContent = formatExpiry(data.session.expiresAt);
    expires.dateTime = String(data.session.expiresAt);
  }
  show(signedIn ? "signed-in" : "signed-out");
  return signedIn;
}

function fields(form) {
  return Object.fromEntries(new FormData(form).entries());
}

function handle(formId, action) {
  $(formId).addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      await action(fields(form));
      form.reset();
    } catch (error) {
      say(error instanceof ProblemError ? error.message : "Something went wrong. Please try again.", "error");
    } finally {
      button.disabled = false;
    }
  });
}

handle("sign-up", async ({ name, email, password }) => {
  await api("/sign-up/email", { method: "POST", body: { name, email, password } });
  await api("/send-verification-email", { method: "POST", body: { email, callback_url: HOME } });
  say(`Almost done: we sent a link to ${email}. Open it to verify your address, then sign in.`, "success");
});

// An unverified account answers like a wrong password (the backend mails the owner a new link itself), so
// the answer tells no one whether an address is registered.
handle("sign-in", async ({ email, password }) => {
  await api("/sign-in/email", { method: "POST", body: { email, password } });
  if (await refresh()) say("You are signed in.", "success");
});

handle("magic-link", async ({ email }) => {
  await api("/sign-in/magic-link", { method: "POST", body: { email, callbackURL: HOME } });
  say(`We sent a sign-in link to ${email}. Open it on this device to sign in.`, "success");
});

handle("forgot-password", async ({ email }) => {
  await api("/forget-password", { method: "POST", body: { email, redirectTo: HOME } });
  say(`If ${email} has an account, we sent it a link to choose a new password.`, "success");
});

// Read what the email link brought, then take it out of the address bar (and out of the history).
const params = new URLSearchParams(location.search);
const resetToken = params.get("token");
if (location.search) history.replaceState(null, "", location.pathname);

handle("reset-password", async ({ password }) => {
  await api("/reset-password", { method: "POST", body: { token: resetToken, password } });
  $("reset").hidden = true;
  await refresh();
  say("Your password is changed. Sign in with the new one.", "success");
});

$("sign-out").addEventListener("click", async () => {
  try {
    await api("/sign-out", { method: "POST", body: {} });
    await refresh();
    say("You are signed out.", "info");
  } catch (error) {
    say(error.message, "error");
  }
});

(async () => {
  const signedIn = await refresh();
  if (params.get("error")) {
    say(sentence(params.get("error")), "error");
  } else if (resetToken) {
    $("reset").hidden = false;
    show("none");
    say("Choose a new password for your account.", "info");
  } else if (params.get("verified")) {
    say(
      signedIn ? "Your email address is verified." : "Your email address is verified. You can sign in now.",
      "success",
    );
  } else if ($("status").dataset.kind !== "error") {
    say(signedIn ? "You are signed in." : "You are signed out.", "info");
  }
})();
