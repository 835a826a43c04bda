// Cues of a scan result besides the colour: a short tone (a different
// pitch per result) and a vibration pattern, for noisy doors and for
// staff who are not looking at the screen.

let ctx = null;

/** unlock creates the audio context during a user gesture (browsers only
 * allow sound after one; a scanner's Enter key counts). */
export function unlock() {
  if (ctx) {
    if (ctx.state === 'suspended') ctx.resume().catch(() => {});
    return;
  }
  const AC = globalThis.AudioContext || globalThis.webkitAudioContext;
  if (!AC) return;
  try {
    ctx = new AC();
  } catch {
    ctx = null;
  }
}

const TONES = {
  checked_in: [[880, 0, 0.16]], // one bright beep
  already_checked_in: [[620, 0, 0.12], [620, 0.18, 0.12]], // two mid beeps
  rejected: [[220, 0, 0.45]], // one long low tone
};
const VIBRATE = { checked_in: [60], already_checked_in: [60, 80, 60], rejected: [250, 100, 250] };

/** cue plays the tone and vibration of a result. */
export function cue(result) {
  if (navigator.vibrate) {
    try {
      navigator.vibrate(VIBRATE[result] || 0);
    } catch {
      /* not allowed */
    }
  }
  if (!ctx) return;
  const now = ctx.currentTime;
  for (const [freq, at, dur] of TONES[result] || []) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = result === 'rejected' ? 'square' : 'sine';
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, now + at);
    gain.gain.exponentialRampToValueAtTime(0.25, now + at + 0.015);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + at + dur);
    osc.connect(gain).connect(ctx.destination);
    osc.start(now + at);
    osc.stop(now + at + dur + 0.02);
  }
}
