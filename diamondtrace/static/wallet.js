// The "Your stones and profile" page (/wallet): connects the visitor's browser wallet and opens
// the connected account's own page, /address/<account>, which works for anyone without JavaScript.
import { Refusal, account, walletForm } from "./wallets.js";

const { form, button, show, chosen } = walletForm("connect-form", "connect");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  button.disabled = true;
  try {
    show("working", "Asking your wallet for an account…");
    const address = await account(chosen());
    const page = `/address/${encodeURIComponent(address)}`;
    show("done", `Connected ${address}: opening its page…`, [["Its page", page]]);
    window.location.assign(page);
  } catch (error) {
    show("failed", error instanceof Refusal ? error.message : `Your wallet failed: ${(error && error.message) || error}.`);
    button.disabled = false;
  }
});
