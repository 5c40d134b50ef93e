/** Debian's chromium (CHROMIUM_PATH overrides), or null when it is not installed. */
export declare function chromiumPath(): string | null;
export declare function withPage<T>(
  htmlFile: string,
  fn: (page: import("playwright-core").Page) => Promise<T>,
  size?: { width?: number; height?: number },
): Promise<T>;
/** Per chart id: whether its figure holds an SVG, its rendered size, and how many marks were drawn. */
export declare function chartsDrawn(
  htmlFile: string,
  ids: string[],
): Promise<Record<string, { svg: boolean; marks: number; width: number; height: number }>>;
export declare function screenshot(htmlFile: string, pngFile: string, opts?: { width?: number }): Promise<void>;
