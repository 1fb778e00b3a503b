// A short beep for a new alert, made with WebAudio (no audio file). Browsers allow sound only
// after a user gesture on the page (their autoplay policy), so after every reload the sound
// is blocked until a click or a key press; the console says so while it is (onChange).

let context = null;
let beeps = 0;

/** onChange(running) now, and whenever the sound is unblocked or blocked again. */
export function armAudio(onChange) {
  const AudioContext = globalThis.AudioContext || globalThis.webkitAudioContext;
  if (!AudioContext) {
    onChange?.(false);
    return;
  }
  // Made at once: where the policy allows sound (a kiosk flag, a site setting) it runs now;
  // elsewhere it starts suspended and the first gesture resumes it.
  context = new AudioContext();
  context.addEventListener("statechange", () => onChange?.(audioReady()));
  const unlock = () => {
    context.resume().then(() => {
      removeEventListener("pointerdown", unlock, true);
      removeEventListener("keydown", unlock, true);
      onChange?.(audioReady());
    });
  };
  addEventListener("pointerdown", unlock, true);
  addEventListener("keydown", unlock, true);
  onChange?.(audioReady());
}

export function audioReady() {
  return context !== null && context.state === "running";
}

/** One calm tone; three rising ones when urgent. Counted in <body data-beeps>. */
export function beep(urgent = false) {
  beeps += 1;
  document.body.dataset.beeps = String(beeps);
  if (!audioReady()) return false;
  const tones = urgent ? [660, 880, 1046] : [660];
  let at = context.currentTime + 0.02;
  for (const frequency of tones) {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.type = "sine";
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.3, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.22);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(at);
    oscillator.stop(at + 0.25);
    at += 0.3;
  }
  return true;
}
