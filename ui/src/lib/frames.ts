// Work put off until a frame is on screen.

/** Runs `f` once the next frame is drawn: a task queued as that frame begins runs after
 *  its style, layout and paint. Answers a function that cancels it if not yet run. */
export function afterNextFrame(f: () => void): () => void {
  let later: ReturnType<typeof setTimeout> | undefined;
  const frame = requestAnimationFrame(() => {
    later = setTimeout(f);
  });
  return () => {
    cancelAnimationFrame(frame);
    clearTimeout(later);
  };
}
