import neostandard from 'neostandard'

export default neostandard({
  ts: true,
  ignores: ['dist/**', 'coverage/**', 'test-artifacts/**', 'bench/results/**', 'data/**', 'src/inspector/**/*.min.js']
})
