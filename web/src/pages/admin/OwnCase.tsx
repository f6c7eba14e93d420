/**
 * In place of the decision buttons on the signed-in admin's own case (their withdrawal, a transfer they sent or
 * receive, a flag on them): the server refuses an admin's decision on it (403), another admin must take it.
 */
export default function OwnCaseNote() {
  return <p class="muted small own-case">Your own — another admin decides this.</p>;
}
