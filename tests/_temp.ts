// A fresh temporary folder for a test body, removed afterwards whatever the body did.

/** Runs `f` in a new temporary folder and removes the folder afterwards. */
export const inTempDir = async (f: (dir: string) => Promise<void>): Promise<void> => {
  const dir = await Deno.makeTempDir();
  try {
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
};
