/** @type {import('tailwindcss').Config} */
module.exports = {
  // Only the classes these templates use end up in static/css/site.css.
  content: ["./plants/templates/**/*.html"],
  theme: { extend: {} },
  plugins: [],
};
