/**
 * Worker-thread entry of the `scene` job (piscina: the default export runs one task).
 * Validates its input (it crossed a thread boundary) and generates the scene.
 */
import { checkSceneInput, generateScene, type SceneInput, type SceneResult } from '../scene-gen.js';

/** Run one scene task. Throws `WT_ERR_OPTION_INVALID` on a bad input (the caller sees `WT_ERR_WORKER_FAILED`). */
export default function sceneTask(input: SceneInput): SceneResult {
  return generateScene(checkSceneInput(input));
}
