/** Stylesheets imported for their side effect; Bun's HTML bundler emits them as CSS files beside the app. */
declare module "*.css";
