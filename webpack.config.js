// Task pane build: ts-loader (transpile only; `npm run lint` type-checks), html-webpack-plugin per page,
// copy-webpack-plugin for icons and the help page. Output: dist/addin/.
// office.js is never bundled: production pages load Microsoft's CDN, development pages /office-js/office.js
// (served by the backend from node_modules/@microsoft/office-js/dist). `npm run build` = production.
const path = require("node:path");
const HtmlWebpackPlugin = require("html-webpack-plugin");
const CopyWebpackPlugin = require("copy-webpack-plugin");

const OFFICE_JS_CDN = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js";
const OFFICE_JS_DEV = "/office-js/office.js";

module.exports = (_env, argv = {}) => {
  const production = (argv.mode ?? process.env.NODE_ENV ?? "production") === "production";
  const officeJs = production ? OFFICE_JS_CDN : OFFICE_JS_DEV;
  const page = (filename, template, chunks) =>
    new HtmlWebpackPlugin({
      filename,
      template,
      chunks,
      officeJs,
      inject: "body",
      scriptLoading: "defer",
      minify: production,
    });
  return {
    mode: production ? "production" : "development",
    context: __dirname,
    devtool: production ? false : "eval-cheap-module-source-map",
    entry: {
      taskpane: "./addin/taskpane/index.tsx",
      dialog: "./addin/auth/dialog.ts",
      auth: "./addin/auth/redirect-bridge.ts",
      preview: "./addin/preview/preview.ts",
      "office-standin": "./addin/preview/office-standin.ts",
    },
    output: {
      path: path.resolve(__dirname, "dist/addin"),
      // The stand-in keeps a fixed name: the server swaps it in for office.js by URL.
      filename: (data) =>
        data.chunk.name === "office-standin" ? "[name].js" : production ? "[name].[contenthash:8].js" : "[name].js",
      chunkFilename: production ? "[name].[contenthash:8].js" : "[name].js",
      publicPath: "",
      clean: true,
    },
    resolve: { extensions: [".tsx", ".ts", ".js"] },
    module: {
      rules: [
        {
          test: /\.tsx?$/,
          exclude: /node_modules/,
          use: {
            loader: "ts-loader",
            options: {
              transpileOnly: true,
              compilerOptions: { noEmit: false, module: "ESNext", sourceMap: !production },
            },
          },
        },
      ],
    },
    plugins: [
      page("taskpane.html", "./addin/taskpane/taskpane.html", ["taskpane"]),
      page("dialog.html", "./addin/auth/dialog.html", ["dialog"]),
      page("auth.html", "./addin/auth/auth.html", ["auth"]),
      page("preview.html", "./addin/preview/preview.html", ["preview"]),
      new CopyWebpackPlugin({
        patterns: [
          { from: "assets/*.png", to: "assets/[name][ext]" },
          { from: "addin/taskpane/support.html", to: "support.html" },
        ],
      }),
    ],
    performance: { hints: false }, // build.ts reports gzip sizes against the 200 KB budget instead
    stats: "errors-warnings",
  };
};
