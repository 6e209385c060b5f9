"use client";

import { useActionState } from "react";

import { type SignInState, signIn } from "./actions";

const initialState: SignInState = { error: null, email: "" };

export function SignInForm() {
  const [state, action, pending] = useActionState(signIn, initialState);
  return (
    <form action={action}>
      <label htmlFor="email">E-mail</label>
      <input id="email" name="email" type="email" autoComplete="username" defaultValue={state.email} required />
      <label htmlFor="password">Password</label>
      <input id="password" name="password" type="password" autoComplete="current-password" required />
      <button type="submit" disabled={pending}>
        {pending ? "Signing in…" : "Sign in"}
      </button>
      {state.error ? <p role="alert">{state.error}</p> : null}
    </form>
  );
}
